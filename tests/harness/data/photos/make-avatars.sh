#!/bin/sh
# Regenerates the directory's jpegPhoto avatars (run from this directory).
# The JPEGs are committed; this script only documents how they were made.
set -eu
font=/usr/share/fonts/opentype/noto/NotoSansCJK-Bold.ttc
make() { # uid colour label
  /usr/bin/convert -size 96x96 "xc:$2" -font "$font" -fill white -pointsize 34 \
    -gravity center -annotate +0+0 "$3" -strip -quality 80 "$1.jpg"
}
make zhou.jianguo '#B03A2E' '建国'
make margaret.hughes '#2E86AB' 'MH'
make wang.xiaoming '#C0392B' '小明'
make liu.yang '#1E8449' '刘洋'
make priya.raman '#8E44AD' 'PR'
make thomas.berg '#2C3E50' 'TB'
make alice '#2874A6' 'AM'
make bob '#D35400' 'BC'
make zhao.lin '#AF601A' '赵琳'
make mateo.garcia '#117A65' 'MG'
make lin.zhiqiang '#6C3483' '志强'
make carol '#CB4335' 'CL'
make xu.hui '#1F618D' '徐慧'
make james.smith '#7D6608' 'JS'
make li.wei '#5B2C6F' '李伟'
make chen.jing '#148F77' '陈静'
make hannah.mueller '#A04000' 'HM'
make feng.xue '#2E4053' '冯雪'
