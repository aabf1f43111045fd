#!/usr/bin/env bash
# mkset.sh DIR [N]: renders N plain checks (no MICR) with ImageMagick in the degradations the
# targets name (sharp, blur sigma 2, JPEG 30, 3-degree rotation photo) and a phone pipeline
# (downscale, sharpen, perspective, shadow, JPEG 70), and writes DIR/truth.jsonl. For checks
# with a MICR line drawn independently of the reader (the E-13B dimensions at four stroke
# weights), use `parley gen specimens` (package checkgen/specimen).
set -euo pipefail
dir=${1:?usage: mkset.sh DIR [N]}
n=${2:-10}
F=/usr/share/fonts/truetype/dejavu
C=/usr/bin/convert
mkdir -p "$dir"
: >"$dir/truth.jsonl"
ones=(zero one two three four five six seven eight nine ten eleven twelve thirteen fourteen fifteen sixteen seventeen eighteen nineteen)
tens=("" "" twenty thirty forty fifty sixty seventy eighty ninety)
say() { # say N (< 1000000)
  local n=$1 out=""
  if ((n >= 1000)); then out="$(say $((n / 1000))) thousand"; n=$((n % 1000)); [ $n -eq 0 ] && { echo "$out"; return; }; out="$out "; fi
  if ((n >= 100)); then out="$out${ones[$((n / 100))]} hundred"; n=$((n % 100)); [ $n -eq 0 ] && { echo "$out"; return; }; out="$out "; fi
  if ((n >= 20)); then out="$out${tens[$((n / 10))]}"; ((n % 10)) && out="$out-${ones[$((n % 10))]}"; echo "$out"; return; fi
  echo "$out${ones[$n]}"
}
payees=("ACME Corporation" "Blue River Plumbing" "Northwind Traders" "City Water Dept" "Maria Lopez" "Oakridge Dental")
memos=("invoice 2291" "rent March" "order 5512" "deposit" "repairs" "membership")
for i in $(seq 1 "$n"); do
  d=$((RANDOM % 9000 + 1)); c=$((RANDOM % 100)); num=$((RANDOM % 8000 + 1000))
  mo=$((RANDOM % 12 + 1)); dy=$((RANDOM % 28 + 1)); yr=2026
  words="$(say $d)"; words="${words^}"
  cc=$(printf %02d $c); [ $c -eq 0 ] && cc=no
  legal="$words and $cc/100"
  amt=$(printf "%d.%02d" $d $c); amtc=$(printf "%'d.%02d" $d $c)
  payee=${payees[$((RANDOM % ${#payees[@]}))]}; memo=${memos[$((RANDOM % ${#memos[@]}))]}
  date=$(printf "%02d/%02d/%d" $mo $dy $yr); iso=$(printf "%d-%02d-%02d" $yr $mo $dy)
  base="$dir/c$i"
  $C -size 1800x800 xc:'#eef4ee' -fill '#dde8dd' -draw 'rectangle 0,0 1800,800' \
    -stroke '#335533' -strokewidth 3 -fill none -draw 'rectangle 10,10 1790,790' -stroke none \
    -fill black -font $F/DejaVuSans-Bold.ttf -pointsize 34 -annotate +60+80 'ALEX MORGAN' \
    -font $F/DejaVuSans.ttf -pointsize 24 -annotate +60+115 '42 Harbor Lane, Springfield' \
    -pointsize 32 -annotate +1550+80 "$num" \
    -pointsize 30 -annotate +1150+190 'DATE' -annotate +1250+190 "$date" \
    -annotate +60+300 'PAY TO THE' -annotate +60+335 'ORDER OF' \
    -font $F/DejaVuSerif-Italic.ttf -pointsize 38 -annotate +260+330 "$payee" \
    -stroke black -strokewidth 2 -draw 'line 250,345 1300,345' -fill none -draw 'rectangle 1360,280 1740,350' -stroke none -fill black \
    -font $F/DejaVuSans-Bold.ttf -pointsize 40 -annotate +1380+332 "\$ $amtc" \
    -font $F/DejaVuSerif-Italic.ttf -pointsize 36 -annotate +60+450 "$legal" \
    -font $F/DejaVuSans.ttf -pointsize 30 -annotate +1450+450 'DOLLARS' \
    -stroke black -strokewidth 2 -draw 'line 50,465 1420,465' -stroke none \
    -pointsize 26 -annotate +60+560 'FIRST SPRINGFIELD BANK' -annotate +60+650 "MEMO  $memo" \
    -stroke black -strokewidth 3 -fill none -draw 'bezier 1150,640 1250,560 1330,700 1450,600' -draw 'line 1100,660 1700,660' -stroke none \
    "$base-sharp.png"
  $C "$base-sharp.png" -blur 0x2 "$base-blur2.png"
  $C "$base-sharp.png" -quality 30 "$base-jpeg30.jpg"
  $C -size 2600x1500 xc:'#6b5a48' \( "$base-sharp.png" -background '#6b5a48' -rotate 3 \) -gravity center -composite -quality 90 "$base-rot3.jpg"
  # Phone: a handheld shot downscaled by the phone, sharpened, seen at an angle, shaded across
  # by the hand, saved at JPEG quality 70.
  $C "$base-sharp.png" -resize 1100x -sharpen 0x1.0 -background '#5b4b3b' -virtual-pixel background \
    -distort Perspective '0,0 30,25 1100,0 1062,6 0,489 9,468 1100,489 1086,452' \
    \( -size 489x1100 gradient:gray100-gray62 -rotate 90 \) -compose multiply -composite -quality 70 "$base-phone.jpg"
  for v in sharp:png blur2:png jpeg30:jpg rot3:jpg phone:jpg; do
    printf '{"file":"c%d-%s.%s","degradation":"%s","amount":"%s","legal_amount":"%s","check_number":"%d","date":"%s","payee":"%s","memo":"%s"}\n' \
      "$i" "${v%%:*}" "${v##*:}" "${v%%:*}" "$amt" "$legal" "$num" "$iso" "$payee" "$memo" >>"$dir/truth.jsonl"
  done
done
echo "wrote $((n * 5)) images to $dir"
